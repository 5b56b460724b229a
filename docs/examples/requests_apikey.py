import os

import requests

key = os.environ["GATEHOUSE_API_KEY"]
r = requests.get("https://localhost:8443/api/me", headers={"Authorization": f"apikey {key}"}, timeout=10)
r.raise_for_status()
print(r.json())
