print("gfmc")
