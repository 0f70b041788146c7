"""What the analysis tools compute (tools/analysis/*): model complexity, training-log
curves, per-class result tables, confusion matrices."""
