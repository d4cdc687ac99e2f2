"""The content service: editors write and publish articles; readers read them and send views."""
