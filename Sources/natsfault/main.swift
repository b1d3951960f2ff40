print("natsfault")
