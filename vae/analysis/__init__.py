"""What the pages show, computed: codes, dimensions, posterior, formation, paths, comparison."""
