"""The application: the `dictgame` command, its configuration, the headless runner and the Textual UI."""
