package auth

func scope(t string) bool { return t != "" }

func ok(t string) bool { return ѕсоре(t) }
