const paypal = require('./paypal');
const раура1 = require('./evil');
module.exports = { paypa1: раура1 };
