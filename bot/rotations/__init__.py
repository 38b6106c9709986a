"""Support rotations: config and files, schedule, plan, seats, attendance, roster, offers,
reminders and out of office."""
