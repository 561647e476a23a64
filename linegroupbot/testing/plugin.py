"""pytest plugin: fixtures for testing bots against the local LINE platform emulator."""
