"""The shell: base layout, navigation from the module registry, home, workbench, PWA files."""
