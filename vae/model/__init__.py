"""The model: its configuration, the network, the objectives, and how images become inputs."""
