"""The reader site: a demo news site around the comment widget, and the moderator console."""
