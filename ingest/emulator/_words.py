"""Word lists for invented names (synthetic catalog; MusicOSet album names and playlists)."""

ADJECTIVES = (
    "Silent Golden Electric Velvet Broken Midnight Crimson Hollow Neon Wild Lonely Burning Frozen "
    "Distant Sacred Restless Gentle Savage Fading Lucky Bitter Sweet Radiant Paper Crystal Iron Silver "
    "Quiet Secret Endless Little Blue Black White Purple Scarlet Amber Cosmic Lunar Solar Northern "
    "Southern Eastern Western Urban Rural Ancient Modern Hidden Open Empty Heavy Bright Dark Strange "
    "Lost Young Old Wandering Dancing Falling Rising Sleeping"
).split()

NOUNS = (
    "Wolf River Mountain Ocean Garden Mirror Echo Shadow Flame Storm Heart Dream Engine Signal Harbor "
    "Forest Desert Valley Island Comet Planet Circle Tower Bridge Window Letter Machine Pilot Sailor "
    "Tiger Raven Fox Horse Rose Lily Thunder Rain Snow Summer Winter Autumn Spring Night Morning "
    "Highway Avenue Station Radio Satellite Diamond Crown Kingdom Empire Parade Carnival Circus Ghost "
    "Angel Saint Rebel Stranger Lover Sister Brother"
).split()

FIRST_NAMES = (
    "Alex Sam Jordan Taylor Morgan Casey Riley Jamie Avery Quinn Maya Leo Nina Omar Lena Marco Sofia "
    "Ivan Ana Luca Emma Noah Mia Liam Zoe Eli Ruby Kai Iris Felix Clara Hugo Ada Theo Lila Oscar Vera "
    "Jonas Elsa Mateo Yara Dante Nora Rafael Ines Tomas Aiko Kenji Amara Kofi"
).split()

LAST_NAMES = (
    "Smith Rivera Chen Novak Okafor Silva Berg Moreau Rossi Tanaka Kim Costa Weber Jensen Haddad "
    "Kowalski Larsen Dubois Nakamura Fischer Ortiz Brooks Hayes Walsh Byrne Lindqvist Petrov Santos "
    "Meyer Keller Duarte Romano Ahmed Nguyen Park Sato Mendes Baker Carter Reyes Flores Gray Stone "
    "Wood Fox Hale Vance Cole Reed Frost"
).split()

LABELS = (
    "Northside Records|Blue Harbor Music|Velvet Tone|Iron Lung Recordings|Paper Moon Records|"
    "Crystal Sound|Golden Hour Music|Midnight Signal|Open Field Records|Satellite Sound|"
    "Red Brick Records|Lantern Music|Hollow Tree|Parade Records|Kingdom Audio|Echo Valley|"
    "Fjord Records|Saint Street Music|Neon Garden|Riverbank Recordings"
).split("|")

GENRE_BASES = (
    "rock|pop|hip hop|jazz|country|metal|house|techno|folk|classical|reggae|blues|punk|soul|r&b|"
    "latin|k-pop|ambient|gospel|funk|trap|disco|bossa nova|drum and bass|afrobeat"
).split("|")

STYLE_MODIFIERS = (
    "deep|modern|classic|indie|alternative|experimental|progressive|dark|melodic|minimal|acoustic|"
    "lo-fi|underground|vintage|neo|post|nu|psychedelic|symphonic|garage|chill|hardcore|soft|electro|"
    "dream|art|math|new wave|tropical|atmospheric"
).split("|")

REGION_MODIFIERS = (
    "uk|german|french|brazilian|dutch|swedish|japanese|korean|italian|spanish|australian|canadian|"
    "mexican|nigerian|polish|turkish|finnish|norwegian|irish|scottish|russian|chilean|argentine|"
    "belgian|danish|greek|indian|filipino|south african|czech"
).split("|")
