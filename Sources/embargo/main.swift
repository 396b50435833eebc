print("embargo")
