"""The public site and the applicants' pages (pretix's ``presale``): the wall, the campaign page,
embeds, images, the feed, the letter, applying and managing an application."""
