"""Real test parts: a moto STS/IAM server, a fault proxy, gnome-keyring on a private bus."""
