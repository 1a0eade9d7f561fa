"""Logo and image handling: the logo pipeline (``logos``), hero images, colours and contrast."""
