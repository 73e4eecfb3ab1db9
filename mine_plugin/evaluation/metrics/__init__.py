"""The plugin's image-quality metrics for dlib_evaluate, one per file: `fid`, `lpips`."""
