"""supportloop: a self-hosted support desk feeding a product-feedback system of record."""
