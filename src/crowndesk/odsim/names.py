"""Word lists for synthetic people and places (invented combinations, no real records)."""

from __future__ import annotations

MALE_FIRST = (
    "James John Robert Michael William David Richard Joseph Thomas Charles Daniel Matthew "
    "Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald "
    "Jason Edward Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott "
    "Brandon Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry Tyler "
    "Aaron Jose Adam Nathan Henry Zachary Douglas Peter Kyle Noah Ethan Jeremy Walter Christian "
    "Keith Roger Terry Austin Sean Gerald Carl Harold Dylan Arthur Lawrence Jordan Jesse Bryan "
    "Billy Bruce Gabriel Joe Logan Alan Juan Albert Willie Elijah Wayne Randy Vincent Mason "
    "Roy Ralph Bobby Russell Bradley Philip Eugene Liam Owen Luis Carlos Miguel Diego Omar"
).split()
FEMALE_FIRST = (
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty "
    "Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah "
    "Stephanie Dorothy Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma "
    "Anna Pamela Nicole Samantha Katherine Christine Helen Debra Rachel Carolyn Janet Maria "
    "Catherine Heather Diane Olivia Julie Joyce Victoria Ruth Virginia Lauren Kelly Christina "
    "Joan Evelyn Judith Andrea Hannah Megan Cheryl Jacqueline Martha Madison Teresa Gloria Sara "
    "Janice Ann Kathryn Abigail Sophia Frances Jean Alice Judy Isabella Julia Grace Amber Denise "
    "Danielle Marilyn Beverly Charlotte Natalie Theresa Diana Brittany Doris Kayla Alexis Lori "
    "Marie Ava Mia Chloe Zoe Lucia Sofia Camila Valeria Priya Mei Aiko Fatima Leila"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales "
    "Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos "
    "Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry "
    "Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons "
    "Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West "
    "Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro "
    "Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry "
    "Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez "
    "Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd "
    "Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols "
    "Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce "
    "Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson"
).split()
STREETS = (
    "Oak Maple Cedar Pine Elm Birch Willow Aspen Juniper Spruce Hawthorn Alder Laurel Chestnut "
    "Sycamore Magnolia Poplar Cypress Hickory Walnut Meadow Ridge Lake River Hill Valley Park "
    "Sunset Harbor Mill Orchard Forest Prairie Canyon Summit Highland Bay Brook Spring"
).split()
STREET_KINDS = ["St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Pl", "Blvd"]
CITIES = [
    ("Riverton", "OR", "973"),
    ("Millbrook", "OR", "974"),
    ("Cedar Falls", "OR", "973"),
    ("Lakeview", "OR", "976"),
    ("Brookside", "WA", "986"),
    ("Fairhaven", "OR", "970"),
    ("Oak Ridge", "OR", "971"),
    ("Westfield", "OR", "972"),
]
AREA_CODES = ["503", "541", "971", "458", "360"]
EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example.com"]
CARRIERS = [
    ("Summit Dental Benefits", "60054"),
    ("Harbor Mutual Dental", "61425"),
    ("Keystone Guardian Plans", "64246"),
    ("Evergreen Dental Trust", "65978"),
    ("Pioneer Life and Dental", "62308"),
    ("Beacon Health Dental", "86027"),
    ("Lakeside Benefit Administrators", "39026"),
    ("Northstar Dental Alliance", "94276"),
    ("Crescent Union Dental", "52133"),
    ("Granite State Dental Plan", "02027"),
    ("Bluewater Dental Network", "81039"),
    ("Meridian Employee Dental", "31059"),
]
EMPLOYER_GROUPS = (
    "Acme Logistics,Riverton School District,County Health,Northwest Timber,Cascade Foods,"
    "Pacific Software,City of Millbrook,Harbor Hospital,Valley Credit Union,Summit Retail,"
    "Evergreen Manufacturing,Lakeside University,State Employees,Carpenters Local 12,"
    "Columbia Freight,Bright Path Charter"
).split(",")
