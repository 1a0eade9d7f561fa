"""The public site's views, a module per thing the visitor does: ``wall`` (a campaign's page, the
wall as SVG and PNG, the feed), ``embeds`` (the embeds, embed.js and the builder), ``applicant``
(applying, confirming, managing an application), ``letter``, ``campaign`` (the map, the share
card, the theme stylesheet), ``media`` (logo files) and ``favicon``; ``shortcuts`` holds what they
share."""
