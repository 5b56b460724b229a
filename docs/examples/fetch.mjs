const res = await fetch("https://localhost:8443/api/me", {
  headers: { Authorization: `apikey ${process.env.GATEHOUSE_API_KEY}` },
});
if (!res.ok) {
  throw new Error(`${res.status}: ${await res.text()}`);
}
console.log(await res.json());
