const access = "user"; // ‮ } ⁦if (access != "admin")⁩ ⁦ // check
console.log(access);
