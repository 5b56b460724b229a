import os

import requests
from requests.auth import HTTPBasicAuth

key = os.environ["GATEHOUSE_API_KEY"]
r = requests.get("https://localhost:8443/api/me", auth=HTTPBasicAuth("apikey", key), timeout=10)
r.raise_for_status()
print(r.json())
