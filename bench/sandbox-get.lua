-- wrk script: GET one contact with HighLevel's headers. TOKEN and CONTACT come from the environment.
local token = os.getenv("TOKEN")
local contact = os.getenv("CONTACT")
wrk.method = "GET"
wrk.path = "/contacts/" .. contact
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Version"] = "2021-07-28"
