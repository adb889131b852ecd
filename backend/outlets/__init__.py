"""Public service outlets: the directory by region and nearest first."""
