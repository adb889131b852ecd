"""Working days: the package calendar, the days an administrator adds, and counting them."""
