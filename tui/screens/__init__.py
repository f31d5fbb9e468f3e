"""The main screen and the modal screens (disable dialog, help)."""
