"""pratai-bridge: run functions when OpenStack notifications arrive."""
