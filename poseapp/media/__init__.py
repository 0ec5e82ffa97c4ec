"""Reading pixels: image files, image folders and video frames (OpenCV), and cheap image sizes."""
