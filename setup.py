from pathlib import Path

from setuptools import find_packages, setup


def read_requirements(name):
    lines = Path(__file__).with_name('requirements').joinpath(name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


setup(
    name='simcal-mmdet',
    version='0.1.0',
    description='Long-tail instance segmentation toolbox (SimCal) on mmengine',
    long_description=Path(__file__).with_name('README.md').read_text(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(include=['mmdet', 'mmdet.*', 'lvis_api', 'lvis_api.*']),
    package_data={'mmdet.testing': ['data/*.json', 'data/*.md']},
    include_package_data=True,
    install_requires=read_requirements('runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt'),
                    'tensorboard': ['tensorboard>=2.10'], 'wandb': ['wandb>=0.15']},
    zip_safe=False,
)
