"""Environment setup shared by the tools and APIs."""


def register_all_modules() -> None:
    """Import every module that registers components."""
    import mmdet.calibration  # noqa: F401  (SimCal stages 2 and 3)
    import mmdet.datasets  # noqa: F401
    import mmdet.engine  # noqa: F401
    import mmdet.evaluation  # noqa: F401
    import mmdet.models  # noqa: F401
