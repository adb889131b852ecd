"""Patent and trademark records, number rules, status timelines and deadlines."""
