"""Graph passes: each a small function Graph -> Graph (in place), tested on its own."""
