curl --fail-with-body -H "Authorization: apikey $GATEHOUSE_API_KEY" https://localhost:8443/api/me
