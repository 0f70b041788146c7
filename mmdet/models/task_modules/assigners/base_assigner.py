"""Base class of assigners."""
from abc import ABCMeta, abstractmethod


class BaseAssigner(metaclass=ABCMeta):
    """Assigns gt boxes to priors; ``assign`` returns an ``AssignResult``."""

    @abstractmethod
    def assign(self, *args, **kwargs):
        """Assign gt boxes to priors."""
