"""The site's HTML views, by audience: ``wall`` (the public wall, its images and its feed),
``embeds`` (the embeds, embed.js and the builder) and ``applicant`` (applying, confirming and
managing an application); ``common`` holds what they share."""
