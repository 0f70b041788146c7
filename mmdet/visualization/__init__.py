from .ap_vs_frequency import plot_ap_vs_frequency
from .draw import draw_instances

__all__ = ['draw_instances', 'plot_ap_vs_frequency']
