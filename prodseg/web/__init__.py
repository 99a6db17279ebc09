"""What the two web servers share (the public ``prodseg serve`` and the people's ``prodseg review``): the JSON
shape of a refusal and its handlers, the security headers, the request-body bound."""
