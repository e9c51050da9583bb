const months = ["Ιαν", "Φεβ", "Μαρ"];
const seen = new Map();
