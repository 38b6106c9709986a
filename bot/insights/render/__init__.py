"""Block Kit for the queue, stats, the digest and App Home."""
