function isAdmіn(user) { return user.role === 'admin'; }
