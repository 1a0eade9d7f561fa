"""What every interface shares about HTTP: the site's address for absolute links, the language of
a request, rate limits, response policies, staff sign-in, safe spreadsheet cells."""
