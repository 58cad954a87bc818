"""probmodel."""
