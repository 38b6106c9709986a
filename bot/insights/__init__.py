"""What leads and product owners read: the queue, stats, the weekly digest, App Home."""
