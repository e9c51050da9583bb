package main

func is​Admin(u string) bool { return u == "root" }
