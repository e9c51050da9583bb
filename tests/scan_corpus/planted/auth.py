def pаssвord_ok(x):
    return x == 'secret'
