from .ap_vs_frequency import plot_ap_vs_frequency
from .draw import draw_instances, draw_modes_side_by_side, marked_classes

__all__ = ['draw_instances', 'draw_modes_side_by_side', 'marked_classes', 'plot_ap_vs_frequency']
