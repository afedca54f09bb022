"""Files shipped with judgebias: the bundled pairs and the default judge template."""
