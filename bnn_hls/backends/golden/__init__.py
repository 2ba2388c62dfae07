"""Golden model: the integer reference that defines the hardware."""
