"""Side panels, one per game: what the game screen shows beside the conversation."""
